from components.aws.access import duplicates_of_deployer, principal_of

ROLE = "arn:aws:iam::123456789012:role/platform/deployer"
SESSION = "arn:aws:sts::123456789012:assumed-role/deployer/ci-run-7"


def test_a_roles_session_names_the_role_whatever_its_path():
    # role names are unique in an account, paths aside; STS session ARNs carry no path
    assert principal_of(SESSION) == principal_of(ROLE)
    alice = principal_of("arn:aws:iam::123456789012:user/alice")
    assert alice is not None and alice.kind == "user"
    assert principal_of("not-an-arn") is None


def test_the_deployer_listed_as_admin_is_found_others_are_not():
    admins = (
        "arn:aws:iam::123456789012:role/admins",
        ROLE,
        "arn:aws:iam::999999999999:role/deployer",
    )
    assert duplicates_of_deployer(admins, SESSION) == [1]
    assert duplicates_of_deployer(admins, "arn:aws:sts::123456789012:assumed-role/other/s") == []
    assert duplicates_of_deployer(admins, "arn:aws:iam::123456789012:user/alice") == []
