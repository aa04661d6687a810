"""Input and output at the boundary: safe YAML with line maps, the loader (schema pass, then
references), spreadsheets in and out, atomic output files."""
