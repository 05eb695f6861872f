using System.Diagnostics;
using System.Text;

namespace Hub.Bench.Cluster;

/// <summary>
/// A process the bench started and must end: keeps the tail of its output for error messages,
/// and is killed with its tree on dispose so that no run leaves a redis-server or a node behind.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int TailLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The process id, for what the system reports about it (<c>/proc/PID</c>).</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    public static ChildProcess Start(string name, ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start.");
        var child = new ChildProcess(process, name);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The path of <paramref name="program"/> on the PATH or in the usual folders; <paramref name="missing"/> says how to install it.</summary>
    public static string Find(string program, string missing) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(missing);

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
            $"{Name} did not answer {probe} within {timeout.TotalSeconds:0} s (exited: {HasExited}):\n{Tail}");
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"{Name} (pid {_process.Id}) did not exit cleanly: {ex.Message}");
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }
}
