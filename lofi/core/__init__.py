"""Framework-free core: types, constants, errors, paths."""
