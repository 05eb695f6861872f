using System.Globalization;

namespace Hub.Bench.Load;

/// <summary>
/// The bench re-launched as a load process (<c>connections-worker URL COUNT BARE</c>): it holds
/// <see cref="IdleConnections"/> to one node, as many as the open-files limit of one process
/// lets it, and answers the bench that started it over stdin and stdout, one line each:
/// <list type="bullet">
/// <item>it writes <c>open N</c> while connecting, then <c>connected N</c>; <c>error TEXT</c> whenever something fails;</item>
/// <item><c>expect B</c> makes it count broadcast B (it answers <c>expecting B</c>), and once all its
/// connections have it, it writes <c>reached B TIMESTAMP</c>: a <see cref="System.Diagnostics.Stopwatch"/> timestamp,
/// CLOCK_MONOTONIC on Linux, the same clock in every process of the machine;</item>
/// <item><c>tally</c> is answered with <c>tally REACHED CONNECTED</c>; <c>stop</c> or the end of stdin (the bench is gone) ends it.</item>
/// </list>
/// </summary>
internal static class IdleWorker
{
    public const string Command = "connections-worker";

    /// <summary>Connection handshakes in flight at once, per load process (as in one process before).</summary>
    public const int Parallel = 200;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The worker's arguments, for the bench to start it with.</summary>
    public static IReadOnlyList<string> Arguments(Uri hub, int count, bool bare) =>
        [Command, hub.ToString(), count.ToString(CultureInfo.InvariantCulture), bare ? "bare" : "hub"];

    /// <returns>The process's exit code: 0 once told to stop, 2 for wrong arguments.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is not [Command, var url, var countText, "bare" or "hub"]
            || !Uri.TryCreate(url, UriKind.Absolute, out var hub) || !hub.IsLoopback
            || !int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            await Console.Error.WriteLineAsync($"Usage: {Command} LOOPBACK-HUB-URL COUNT bare|hub (the bench starts this itself)");
            return 2;
        }

        FileLimit.Raise(count + FileLimit.Reserve);
        var errors = new ErrorLog(error => Write($"error {error.ReplaceLineEndings(" ")}"));
        await using var idle = IdleConnections.Create(hub, args[3] == "bare", count, Parallel, errors);
        var opening = idle.OpenAsync(count, CancellationToken.None);
        while (await Task.WhenAny(opening, Task.Delay(ProgressInterval)) != opening)
        {
            Write($"open {idle.Connected}");
        }

        await opening;
        Write($"connected {idle.Connected}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            switch (line.Split(' '))
            {
                case ["expect", var number] when int.TryParse(number, CultureInfo.InvariantCulture, out var b):
                    var reached = idle.Expect(b);
                    Write($"expecting {b}");
                    _ = reached.ContinueWith(t => Write($"reached {b} {t.Result}"), TaskContinuationOptions.OnlyOnRanToCompletion);
                    break;
                case ["tally"]:
                    Write($"tally {idle.Reached} {idle.Connected}");
                    break;
                case ["stop"]:
                    return 0;
                default:
                    Write($"error the load process did not understand '{line}'");
                    break;
            }
        }

        return 0;
    }

    // Console.Out is synchronized: lines from the connections' callbacks and the command loop do not interleave.
    private static void Write(string line) => Console.Out.WriteLine(line);
}
