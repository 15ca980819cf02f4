"""Cloud-neutral network maths."""
