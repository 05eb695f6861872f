using System.Diagnostics;

namespace Hub.Testing;

/// <summary>
/// A process the tests or the bench started and must end: keeps the last lines it printed for
/// error messages (or all of them, for a test that reads its log), and is killed with its tree
/// on dispose so that no run leaves a redis-server or a node behind.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>Enough for an error message, little enough for a long bench run's memory.</summary>
    public const int TailLines = 40;

    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);

    // After the process has exited, its streams end at once; this only bounds a stuck read.
    private static readonly TimeSpan StreamWait = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly int _keptLines;
    private readonly Queue<string> _output = new();

    private ChildProcess(Process process, string name, int keptLines)
    {
        _process = process;
        Name = name;
        _keptLines = keptLines;
    }

    public string Name { get; }

    /// <summary>The process id, for what the system reports about it (<c>/proc/PID</c>).</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines it wrote to stdout and stderr, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Total CPU time the process used so far, for CPU-per-message figures.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                return TimeSpan.Zero;
            }
        }
    }

    /// <param name="keptLines">How many of its last lines <see cref="Output"/> keeps.</param>
    /// <param name="onOutput">Sees each line it writes to stdout, as it comes.</param>
    public static ChildProcess Start(string name, ProcessStartInfo info, int keptLines = TailLines, Action<string>? onOutput = null)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start.");
        var child = new ChildProcess(process, name, keptLines);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                child.Append(line);
                onOutput?.Invoke(line);
            }
        };
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Returns once <paramref name="probe"/> answers with success, polling; throws with the
    /// process's last output if it exits first or <paramref name="timeout"/> passes.
    /// </summary>
    public async Task WaitUntilServingAsync(HttpMethod method, Uri probe, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !HasExited)
        {
            try
            {
                using var request = new HttpRequestMessage(method, probe);
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException(
            $"{Name} did not answer {probe} within {timeout.TotalSeconds:0} s (exited: {HasExited}):\n{Output}");
    }

    /// <summary>SIGKILL to it and its children: it dies at once, as in a crash or an OOM kill; no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(ExitWait);
        }
    }

    /// <summary>SIGTERM, as an orchestrator stops a process: it shuts down in its own way.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process, Signals.Terminate, Name);
        }
    }

    /// <summary>SIGSTOP: it stops reading anything, its connections stay open.</summary>
    public void Pause() => Signals.Send(_process, Signals.Stop, Name);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Continue() => Signals.Send(_process, Signals.Continue, Name);

    /// <summary>Waits, bounded, for the process to end; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"{Name} (pid {_process.Id}) did not exit cleanly: {ex.Message}");
        }

        _process.Dispose();
    }

    /// <summary>What a program that ran to its end printed, and how it ended.</summary>
    public sealed record Result(int ExitCode, string Output, string Errors)
    {
        /// <summary>Both streams, for failure messages.</summary>
        public override string ToString() => $"exit code {ExitCode}\n{Errors}\n{Output}";
    }

    /// <summary>Runs a program to its end, bounded: killed, with its tree, if it is still running after <paramref name="timeout"/>.</summary>
    /// <param name="workingDirectory">By default the repository's root.</param>
    public static async Task<Result> RunAsync(
        string program, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds} s.");
        }

        return new Result(process.ExitCode, await output.WaitAsync(StreamWait), await errors.WaitAsync(StreamWait));
    }

    /// <summary>Runs a program that must succeed; throws with what it printed otherwise, and returns its stdout.</summary>
    public static async Task<string> RunToSuccessAsync(
        string program, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(program, args, timeout, workingDirectory, environment);
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {result}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > _keptLines)
            {
                _output.Dequeue();
            }
        }
    }
}
