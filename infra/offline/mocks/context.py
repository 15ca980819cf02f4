"""Facts the mocks need to make outputs look like the real cloud's."""

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class MockContext:
    project: str
    stack: str
    region: str
    aws_account_id: str = "123456789012"
    gcp_project: str = "offline-project"
    azure_subscription_id: str = "00000000-0000-4000-8000-000000000000"

    def digest(self, *parts: str, length: int = 17) -> str:
        """A stable hex string for a resource: same inputs, same ids, byte-identical plans."""
        text = "\x00".join((self.stack, *parts))
        return hashlib.sha256(text.encode()).hexdigest()[:length]

    def ip(self, *parts: str) -> str:
        # 198.51.100.0/24 (TEST-NET-2) is reserved for documentation: never a real address.
        return f"198.51.100.{int(self.digest(*parts, length=4), 16) % 254 + 1}"


class MockCallError(Exception):
    """The program called a data source the offline plan has no answer for."""
