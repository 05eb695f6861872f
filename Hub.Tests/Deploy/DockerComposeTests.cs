using Hub.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Hub.Tests.Deploy;

/// <summary>
/// docker-compose.yml, as docker-compose itself reads it (`docker-compose config`: no Docker engine
/// needed), and checked against the files it uses.
/// </summary>
public sealed class DockerComposeTests
{
    private static readonly string[] HubServices = ["hub-1", "hub-2", "hub-3"];

    [Test]
    public async Task Compose_IsValid_ForDockerCompose()
    {
        var compose = await ConfigAsync();

        Assert.That(compose.Keys("services"), Is.EquivalentTo((string[])["redis", "nginx", .. HubServices]));
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
            Assert.That(port.Text("published"), Is.EqualTo("8080"), "the README's address");
        });
    }

    /// <summary>The file as docker-compose resolves it; fails with docker-compose's own words when it is invalid.</summary>
    private static async Task<YamlNode> ConfigAsync()
    {
        var program = RedisServer.FindOnPath("docker-compose") ?? throw new AssertionException(
            "docker-compose is not installed, so docker-compose.yml cannot be validated. Install it " +
            "(Debian: apt-get install -y docker-compose; no Docker engine is needed) or run ./test.sh, which does.");
        var output = await ChildProcess.RunToSuccessAsync(program, ["-f", DeployFiles.PathOf("docker-compose.yml"), "config"], TimeSpan.FromSeconds(60));
        return Yaml.Documents(output).Single();
    }

    /// <summary>A bind mount as "source:target:ro", from docker-compose 1's short form or 2's long one.</summary>
    private static string Mount(YamlNode volume) =>
        volume is YamlScalarNode ? volume.ToString() : $"{volume.Text("source")}:{volume.Text("target")}{(volume.Has("read_only") && volume.Text("read_only") == "true" ? ":ro" : "")}";

    private static int Seconds(string duration) =>
        duration.EndsWith('s') ? int.Parse(duration[..^1]) : throw new AssertionException($"'{duration}' is not in seconds.");
}
