"""SymBench: the 37 tasks of CodeSteer's benchmark: loaders, seeded generators, parsers and validators (engine)."""
