using System.Diagnostics;

namespace Hub.Bench.Load;

/// <summary>
/// This same bench started again as a child (a load process: <see cref="IdleWorker"/>,
/// <see cref="FailoverWorker"/>), its standard streams redirected, and what the bench's side of
/// every kind does with it: one command line at a time in, stop, and the reason it went.
/// </summary>
internal static class BenchChild
{
    public static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);

    public static Process Start(IEnumerable<string> arguments, string name)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Run as "dotnet Hub.Bench.dll" or as its apphost, the same way again.
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The bench cannot tell its own executable to start load processes.");
        info.FileName = host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(typeof(BenchChild).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start.");
    }

    public static async Task SendAsync(Process process, string name, string line)
    {
        try
        {
            await process.StandardInput.WriteLineAsync(line);
            await process.StandardInput.FlushAsync();
        }
        catch (IOException ex)
        {
            // A bare "Broken pipe" would not say which process went.
            throw new IOException($"{name} no longer reads the bench's commands (it exited?): {ex.Message}", ex);
        }
    }

    /// <summary>Asks it to stop and waits up to <paramref name="wait"/>; kills it when it does not go.</summary>
    public static async Task StopAsync(Process process, string name, TimeSpan wait)
    {
        try
        {
            await SendAsync(process, name, "stop");
            await process.WaitForExitAsync().WaitAsync(wait);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(ExitWait);
        }
    }

    /// <summary>The CPU time it has used so far, as the system counts it.</summary>
    public static TimeSpan CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <summary>Once its stdout ended: that it exited, with what it wrote to stderr.</summary>
    public static async Task<IOException> ExitedAsync(Task<string> stderr, string name) =>
        new($"{name} exited: {await stderr.WaitAsync(ExitWait).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.Trim() : "(its stderr could not be read)", TaskScheduler.Default)}");
}
