using System.Text.RegularExpressions;
using Hub.Testing;
using Hub.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Hub.Tests.Deploy;

/// <summary>
/// docker-compose.yml, as docker-compose itself reads it (`docker-compose config`: no Docker engine
/// needed), and checked against the files it uses. Its secrets come from an env file made from
/// deploy/compose/hub.env.example with fresh values, as a user makes .env.
/// </summary>
public sealed partial class DockerComposeTests
{
    private static readonly string[] HubServices = ["hub-1", "hub-2", "hub-3"];

    /// <summary>The variables of .env for the nodes, and the node setting each one becomes.</summary>
    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["HUB_JWT_SIGNING_KEY"] = "Hub__Auth__Jwt__SigningKey",
        ["HUB_API_KEY"] = "Hub__Api__Keys__0",
    };

    /// <summary>Every variable of .env: the nodes' and Grafana's (<see cref="MonitoringComposeTests"/>).</summary>
    private static IEnumerable<string> EnvVariables => [.. Secrets.Keys, MonitoringComposeTests.GrafanaPassword];

    [Test]
    public async Task Compose_IsValid_ForDockerCompose()
    {
        var compose = await ConfigAsync();

        Assert.That(compose.Keys("services"), Is.EquivalentTo((string[])["redis", "nginx", .. HubServices, "prometheus", "grafana"]));
    }

    [Test]
    public async Task HubNodes_ShareRedis_WithTheirOwnIds_AndStartOnceRedisIsHealthy()
    {
        var services = (await ConfigAsync()).At("services");

        var ids = HubServices.Select(s => services.Text(s, "environment", "Hub__NodeId")).ToList();
        Assert.That(ids, Is.Unique);
        foreach (var hub in HubServices)
        {
            Assert.Multiple(() =>
            {
                Assert.That(services.Text(hub, "environment", "Hub__Redis"), Is.EqualTo("redis:6379"));
                Assert.That(services.Text(hub, "depends_on", "redis", "condition"), Is.EqualTo("service_healthy"));
                Assert.That(services.Text(hub, "build", "dockerfile"), Is.EqualTo("deploy/Dockerfile"));
                // Readiness, through the image's probe on the image's port.
                Assert.That(services.Items(hub, "healthcheck", "test").Select(t => t.ToString()),
                    Is.EqualTo(new[] { "CMD", "hub-probe", "/readyz", DeployFiles.ImagePort.ToString() }));
                // Docker's SIGKILL must come after the drain.
                Assert.That(Seconds(services.Text(hub, "stop_grace_period")),
                    Is.GreaterThan(int.Parse(services.Text(hub, "environment", "Hub__Shutdown__DrainSeconds"))));
            });
        }

        Assert.That(services.Items("redis", "healthcheck", "test").Select(t => t.ToString()), Is.EqualTo(new[] { "CMD", "redis-cli", "ping" }));
    }

    [Test]
    public async Task Nginx_UsesDeployNginxConf_InFrontOfEveryHubNode_OnceTheyAreReady()
    {
        var nginx = (await ConfigAsync()).At("services", "nginx");

        var volumes = nginx.Items("volumes").Select(Mount).ToList();
        Assert.That(volumes, Does.Contain($"{DeployFiles.PathOf("deploy", "nginx.conf")}:/etc/nginx/nginx.conf:ro"));
        var nodes = DeployFiles.Read("deploy", "compose", "hub-nodes.conf");
        var listen = DeployFiles.Read("deploy", "compose", "hub-listen.conf");
        Assert.Multiple(() =>
        {
            foreach (var hub in HubServices)
            {
                Assert.That(nginx.Text("depends_on", hub, "condition"), Is.EqualTo("service_healthy"));
                Assert.That(nodes, Does.Contain($"server {hub}:{DeployFiles.ImagePort} "));
            }

            Assert.That(volumes, Does.Contain($"{DeployFiles.PathOf("deploy", "compose", "hub-nodes.conf")}:/etc/nginx/hub-nodes.conf:ro"));
            Assert.That(volumes, Does.Contain($"{DeployFiles.PathOf("deploy", "compose", "hub-listen.conf")}:/etc/nginx/hub-listen.conf:ro"));
            var port = nginx.At("ports", 0);
            Assert.That(listen, Does.Contain($"listen {port.Text("target")};"));
            Assert.That(port.Text("published"), Is.EqualTo("8080"), "the address docs/deployment.md gives");
        });
    }

    [Test]
    public async Task HubNodes_RequireTokens_AndTakeTheirKeys_FromTheEnvFile()
    {
        var secrets = FilledExample();

        var services = (await ConfigAsync(secrets)).At("services");

        Assert.Multiple(() =>
        {
            foreach (var hub in HubServices)
            {
                Assert.That(services.Text(hub, "environment", "Hub__Auth__Mode"), Is.EqualTo("Jwt"), hub);
                foreach (var (variable, setting) in Secrets)
                {
                    Assert.That(services.Text(hub, "environment", setting), Is.EqualTo(secrets[variable]), $"{hub}'s {setting}, from {variable}");
                }
            }
        });
    }

    [Test]
    public async Task Compose_WithASecretLeftEmpty_StopsWithAMessageNamingIt()
    {
        var required = RequiredVariable().Matches(DeployFiles.Read("docker-compose.yml")).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.That(required.Keys, Is.EquivalentTo(EnvVariables), "the variables docker-compose.yml requires (${NAME:?message})");

        foreach (var (variable, message) in required)
        {
            var secrets = FilledExample();
            secrets[variable] = "";

            var result = await RunConfigAsync(secrets);

            Assert.Multiple(() =>
            {
                Assert.That(result.ExitCode, Is.Not.Zero, $"docker-compose config without {variable}");
                Assert.That(result.Errors.TrimEnd(), Does.EndWith(message), $"docker-compose's words without {variable}");
                Assert.That(message, Does.Contain(variable).And.Contain("deploy/compose/hub.env.example"));
            });
        }
    }

    [Test]
    public async Task TheCommittedExample_HoldsNoSecret_AndTheRealEnvFile_IsNeitherCommittedNorSentToTheImageBuild()
    {
        var example = ExampleVariables();
        var ignored = await ChildProcess.RunAsync("git", ["check-ignore", "--quiet", ".env"], TimeSpan.FromSeconds(30), RepoPaths.Root);

        Assert.Multiple(() =>
        {
            Assert.That(example.Keys, Is.EquivalentTo(EnvVariables), "the variables of deploy/compose/hub.env.example");
            Assert.That(example.Values, Has.All.Empty, "placeholders only: an example left as it is stops docker compose");
            // check-ignore answers 1 for a file that is not ignored, or that git already tracks.
            Assert.That(ignored.ExitCode, Is.Zero, $"git ignores .env: {ignored}");
            Assert.That(File.ReadAllLines(DeployFiles.PathOf(".dockerignore")).Select(l => l.Trim()), Does.Contain(".env"), "the build context leaves .env out");
        });
    }

    /// <summary>The file as docker-compose resolves it with these secrets; fails with docker-compose's own words when it is invalid.</summary>
    internal static async Task<YamlNode> ConfigAsync(Dictionary<string, string>? secrets = null)
    {
        var result = await RunConfigAsync(secrets ?? FilledExample());
        Assert.That(result.ExitCode, Is.Zero, $"docker-compose config failed: {result}");
        return Yaml.Documents(result.Output).Single();
    }

    /// <summary>`docker-compose config` with these variables in its env file instead of the working tree's .env.</summary>
    private static async Task<ChildProcess.Result> RunConfigAsync(Dictionary<string, string> secrets)
    {
        var program = ProgramPath.Find("docker-compose") ?? throw new AssertionException(
            "docker-compose is not installed, so docker-compose.yml cannot be validated. Install it " +
            "(Debian: apt-get install -y docker-compose; no Docker engine is needed) or run ./test.sh, which does.");
        var envFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(envFile, secrets.Select(s => $"{s.Key}={s.Value}")).Within();
            return await ChildProcess.RunAsync(program, ["--env-file", envFile, "-f", DeployFiles.PathOf("docker-compose.yml"), "config"], TimeSpan.FromSeconds(60));
        }
        finally
        {
            File.Delete(envFile);
        }
    }

    /// <summary>NAME=value lines of deploy/compose/hub.env.example.</summary>
    private static Dictionary<string, string> ExampleVariables() =>
        File.ReadAllLines(DeployFiles.PathOf("deploy", "compose", "hub.env.example"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]);

    /// <summary>The example with every value filled in with fresh random bytes, as a user fills .env.</summary>
    internal static Dictionary<string, string> FilledExample() =>
        ExampleVariables().ToDictionary(v => v.Key, _ => "base64:" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));

    /// <summary>A bind mount as "source:target:ro", from docker-compose 1's short form or 2's long one.</summary>
    internal static string Mount(YamlNode volume) =>
        volume is YamlScalarNode ? volume.ToString() : $"{volume.Text("source")}:{volume.Text("target")}{(volume.Has("read_only") && volume.Text("read_only") == "true" ? ":ro" : "")}";

    private static int Seconds(string duration) =>
        duration.EndsWith('s') ? int.Parse(duration[..^1]) : throw new AssertionException($"'{duration}' is not in seconds.");

    [GeneratedRegex(@"\$\{(\w+):\?([^}]+)\}")]
    private static partial Regex RequiredVariable();
}
