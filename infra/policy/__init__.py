"""Run the CrossGuard packs offline, exactly as the Pulumi CLI drives them."""
