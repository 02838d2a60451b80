using System.Runtime.CompilerServices;

// Lets the numerics tests check iteration counts and other internals of the reference code.
[assembly: InternalsVisibleTo("EdgeNorm.Runtime.Tests")]

// Lets the end-to-end tests inspect the loaded plan (e.g. that weights are read from the mapping, not copied).
[assembly: InternalsVisibleTo("EdgeNorm.Calibration.Tests")]
