using System.Text.RegularExpressions;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Deploy;

/// <summary>
/// deploy/Dockerfile cannot be built here (no Docker engine): these tests read it, replay its
/// steps without Docker (<see cref="DockerfileReplay"/>) and start the node they publish, and run
/// its health probe (deploy/probe.sh, also docker-compose's readiness check) against real nodes.
/// </summary>
public sealed partial class ContainerImageTests
{
    private static readonly string Dockerfile = DeployFiles.Read("deploy", "Dockerfile");

    [Test]
    public void Image_ExposesThePortItsNodeListensOn_AndChecksItsHealthThere()
    {
        var port = DeployFiles.ImagePort;

        Assert.Multiple(() =>
        {
            Assert.That(Dockerfile, Does.Contain($"\nEXPOSE {port}\n"));
            Assert.That(Dockerfile, Does.Contain($"CMD [\"hub-probe\", \"/healthz\", \"{port}\"]"));
            Assert.That(Dockerfile, Does.Contain("COPY deploy/probe.sh /usr/local/bin/hub-probe"));
            Assert.That(Dockerfile, Does.Contain("ENTRYPOINT [\"dotnet\", \"Hub.Server.dll\"]"));
        });
    }

    [Test]
    public void Image_IsBuiltWithNodeAndTheSdk_AndRunsAsNonRoot_OnTheAspNetRuntime()
    {
        var stages = FromLine().Matches(Dockerfile).Select(m => m.Groups[1].Value).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(stages, Has.Count.EqualTo(2));
            Assert.That(stages[0], Does.StartWith("mcr.microsoft.com/dotnet/sdk:10.0"));
            Assert.That(stages[^1], Is.EqualTo("mcr.microsoft.com/dotnet/aspnet:10.0"));
            // Hub.Server's build runs npm ci (Npm.targets): the build stage needs npm.
            Assert.That(Dockerfile, Does.Contain("install -y --no-install-recommends nodejs npm"));
            Assert.That(Dockerfile, Does.Contain("\nUSER $APP_UID\n"));
        });
    }

    [Test]
    public async Task Probe_PassesOnlyWhenTheNodeAnswers200()
    {
        await using var node = await TestNode.StartAsync("probed", new Dictionary<string, string?>());
        var port = node.BaseUrl.Port;

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await ProbeAsync("/healthz", port), Is.EqualTo(0), "alive");
            Assert.That(await ProbeAsync("/readyz", port), Is.EqualTo(0), "ready");
            Assert.That(await ProbeAsync("/no-such-path", port), Is.Not.EqualTo(0), "404");
            Assert.That(await ProbeAsync("/healthz", Ports.Free()), Is.Not.EqualTo(0), "nothing listening");
        });
    }

    [Test]
    public async Task Probe_OfReadiness_FailsOnceTheNodeLostRedis_WhileItStaysAlive()
    {
        var redis = await RedisServer.StartAsync();
        await using var node = await TestNode.StartAsync("losing-redis", new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration });
        var port = node.BaseUrl.Port;
        Assert.That(await ProbeAsync("/readyz", port), Is.EqualTo(0));

        await redis.DisposeAsync();

        await Bounded.UntilAsync(async () => await ProbeAsync("/readyz", port) != 0, "the readiness probe failed without Redis");
        Assert.That(await ProbeAsync("/healthz", port), Is.EqualTo(0));
    }

    [Test]
    public async Task TheImage_ReplayedWithoutDocker_StartsANode_ThatPassesItsHealthCheck_AndServesThePage()
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"hub-image-{Guid.NewGuid():N}"[..20]);
        try
        {
            var image = await DockerfileReplay.RunAsync(DeployFiles.PathOf("deploy", "Dockerfile"), RepoPaths.Root, scratch);
            var port = Ports.Free();
            var imagePort = DeployFiles.ImagePort.ToString();
            var environment = new Dictionary<string, string>(image.Environment)
            {
                ["ASPNETCORE_URLS"] = image.Environment["ASPNETCORE_URLS"].Replace($"+:{imagePort}", $"127.0.0.1:{port}"),
            };
            await using var node = ChildProcess.Start("the image's node", StartInfo(image.Entrypoint, image.WorkingDirectory, environment));
            string[] check = [.. image.HealthCheck.Select(a => a == imagePort ? port.ToString() : a)];
            await Bounded.UntilAsync(
                async () => node.HasExited
                    ? throw new AssertionException("The image's node exited:\n" + node.Output)
                    : (await ChildProcess.RunAsync(check[0], check[1..], TimeSpan.FromSeconds(10))).ExitCode == 0,
                "the image's health check passed", TimeSpan.FromSeconds(60));

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var page = await http.GetStringAsync("/").Within();
            using var client = await http.GetAsync("/lib/signalr.min.js").Within();
            Assert.Multiple(() =>
            {
                Assert.That(page, Does.Contain("lib/signalr.min.js"), "the demo page");
                Assert.That(client.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), "the browser client the build installed from npm");
                Assert.That(image.Skipped, Has.All.Contains("apt-get"), "only package installs are left out");
            });
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    private static System.Diagnostics.ProcessStartInfo StartInfo(IReadOnlyList<string> command, string directory, Dictionary<string, string> environment)
    {
        var info = new System.Diagnostics.ProcessStartInfo(command[0]) { WorkingDirectory = directory };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }

    private static async Task<int> ProbeAsync(string path, int port) =>
        (await ChildProcess.RunAsync("bash", [DeployFiles.PathOf("deploy", "probe.sh"), path, port.ToString()], TimeSpan.FromSeconds(10))).ExitCode;

    [GeneratedRegex(@"^FROM (\S+)", RegexOptions.Multiline)]
    private static partial Regex FromLine();
}
