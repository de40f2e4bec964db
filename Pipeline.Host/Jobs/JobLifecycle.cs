namespace Pipeline.Host.Jobs;

/// <summary>
/// Ties the job service to the host's life: once the server listens (resumed jobs may call the sandbox it serves, and
/// sandbox clients take its address when built), the jobs left unfinished are resumed; at a graceful stop running jobs drain while the server still serves their
/// streams (and answers 503 to new ones), before any service stops.
/// </summary>
internal sealed partial class JobLifecycle(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<JobLifecycle> logger) : IHostedLifecycleService
{
    private Task _resumed = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _resumed = ResumeAsync(lifetime.ApplicationStopping));
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _resumed;
        await services.GetRequiredService<JobService>().DrainAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await services.GetRequiredService<JobService>().ResumeUnfinishedAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopped before it got going: the jobs stay stored and resume next time.
        }
        catch (Exception e)
        {
            LogResumeFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not resume the jobs left unfinished by the last run")]
    private static partial void LogResumeFailed(ILogger logger, Exception exception);
}
