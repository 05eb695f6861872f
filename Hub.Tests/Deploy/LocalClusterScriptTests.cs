using System.Diagnostics;

namespace Hub.Tests.Deploy;

/// <summary>deploy/local-cluster.sh's own promises: up starts what is missing, status tells, down stops exactly that.</summary>
public sealed class LocalClusterScriptTests
{
    private static readonly string[] Names = ["redis", .. LocalCluster.NodeIds, "nginx"];

    [Test]
    public async Task Up_StartsOnlyWhatIsNotRunning_StatusShowsIt_AndDownStopsExactlyThat()
    {
        await using var cluster = await LocalCluster.UpAsync();
        var pids = Names.ToDictionary(n => n, n => cluster.Pid(n) ?? throw new AssertionException($"up left no pid file for {n}."));

        await cluster.RunAsync("up");
        var status = await cluster.RunAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(Names.Select(cluster.Pid), Is.EqualTo(Names.Select(n => (int?)pids[n])), "a second up started nothing new");
            foreach (var name in Names)
            {
                Assert.That(status, Does.Contain($"{name} running (pid {pids[name]}"));
            }
        });

        await cluster.RunAsync("down");

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(pids.Where(p => IsRunning(p.Value)).Select(p => p.Key), Is.Empty, "down stopped everything up started");
            Assert.That(await cluster.RunAsync("status"), Is.EqualTo(string.Concat(Names.Select(n => $"{n} stopped\n"))));
        });
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
