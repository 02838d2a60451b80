using EdgeNorm.Model;

namespace EdgeNorm.Runtime;

/// <summary>The caller's input does not match the model (length, shape, name, element type).</summary>
public sealed class InputShapeException(string message) : EdgeNormException(message);

/// <summary>The model uses an integer op or a configuration this runtime cannot execute.</summary>
public sealed class UnsupportedModelException(string message) : EdgeNormException(message);

/// <summary>One session was entered by two calls at once; use one session per thread.</summary>
public sealed class ConcurrentSessionUseException()
    : EdgeNormException("this InferenceSession is already running on another thread; a session serves one call at a time — create one session per thread");

/// <summary>A session option or environment setting is invalid here (e.g. a forced kernel path this CPU cannot run).</summary>
public sealed class SessionConfigurationException(string message) : EdgeNormException(message);
