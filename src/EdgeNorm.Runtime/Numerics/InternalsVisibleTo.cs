using System.Runtime.CompilerServices;

// Lets the numerics tests check iteration counts and other internals of the reference code.
[assembly: InternalsVisibleTo("EdgeNorm.Runtime.Tests")]
