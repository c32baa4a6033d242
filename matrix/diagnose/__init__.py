"""Read ELF files, predict loads (doctor), recipes, classify error texts."""
