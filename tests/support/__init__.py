"""What every test level shares: renders, the template-repository builder, the osmosis CLI."""
