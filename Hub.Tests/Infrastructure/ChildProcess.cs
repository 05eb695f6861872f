using System.Diagnostics;

namespace Hub.Tests.Infrastructure;

/// <summary>Runs a program to its end, bounded; a test asserts on what it printed.</summary>
internal static class ChildProcess
{
    public sealed record Result(int ExitCode, string Output, string Errors)
    {
        /// <summary>Both streams, for failure messages.</summary>
        public override string ToString() => $"exit code {ExitCode}\n{Errors}\n{Output}";
    }

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
            return new Result(process.ExitCode, await output.Within(), await errors.Within());
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds} s.");
            throw;
        }
    }

    /// <summary>Runs a program that must succeed; fails the test with what it printed otherwise.</summary>
    public static async Task<string> RunToSuccessAsync(
        string program, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(program, args, timeout, workingDirectory, environment);
        Assert.That(result.ExitCode, Is.EqualTo(0), $"{program} {string.Join(' ', args)} failed: {result}");
        return result.Output;
    }
}
