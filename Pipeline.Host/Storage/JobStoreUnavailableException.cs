namespace Pipeline.Host.Storage;

/// <summary>The job store could not be read now (in cluster mode, Redis did not answer): the request may be made again.</summary>
internal sealed class JobStoreUnavailableException(string message, Exception inner) : Exception(message, inner);
