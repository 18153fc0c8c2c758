"""Field standardisers: each turns raw text of one field family into canonical values, once per distinct value."""
