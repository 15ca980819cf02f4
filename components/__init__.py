"""Reusable Pulumi ComponentResources and the pure logic (catalog, network maths) they use."""
