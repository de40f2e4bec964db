namespace Pipeline.Jobs;

/// <summary>The execution context of no job: the default one, with no logging scope and no trace.</summary>
internal static class NoJob
{
    public static ExecutionContext Context { get; } = CaptureDefault();

    // A thread started while the flow is suppressed begins in the default context.
    private static ExecutionContext CaptureDefault()
    {
        ExecutionContext? captured = null;
        Thread thread;
        using (ExecutionContext.SuppressFlow())
        {
            thread = new Thread(() => captured = ExecutionContext.Capture()) { IsBackground = true };
            thread.Start();
        }

        thread.Join();
        return captured!;
    }
}
