using Hub.Server.Telemetry;
using YamlDotNet.RepresentationModel;

namespace Hub.Tests.Deploy;

/// <summary>
/// Prometheus and Grafana in docker-compose.yml, as docker-compose resolves them, against the files
/// they mount: Prometheus scrapes every Hub node itself, and Grafana shows the dashboard over that
/// Prometheus. (No Docker engine here: neither ever ran.)
/// </summary>
public sealed class MonitoringComposeTests
{
    /// <summary>The variable of .env that becomes Grafana's admin password.</summary>
    public const string GrafanaPassword = "GRAFANA_ADMIN_PASSWORD";

    // Where Prometheus listens unless its command says otherwise.
    private const int PrometheusPort = 9090;

    private static readonly string PrometheusConfig = DeployFiles.PathOf("deploy", "prometheus", "prometheus.yml");
    private static readonly string Provisioning = DeployFiles.PathOf("deploy", "grafana", "provisioning");

    private static YamlNode ScrapeConfig => Yaml.Documents(File.ReadAllText(PrometheusConfig)).Single();

    [Test]
    public async Task Prometheus_ScrapesEveryHubNodeOfTheComposeFile_OnThePortItListensOn_AtMetrics()
    {
        var services = (await DockerComposeTests.ConfigAsync()).At("services");
        // The nodes are the services built from the image's Dockerfile, however many there are.
        var nodes = services.Keys().Where(s => services.At(s).Has("build") && services.Text(s, "build", "dockerfile") == "deploy/Dockerfile").ToList();
        var prometheus = services.At("prometheus");
        var scraped = ScrapeConfig.Items("scrape_configs")
            .SelectMany(job => job.Items("static_configs").SelectMany(c => c.Items("targets")).Select(target => (Job: job, Target: target.ToString())))
            .Where(t => nodes.Contains(t.Target.Split(':')[0]))
            .ToList();

        Assert.That(nodes, Is.Not.Empty, "services built from deploy/Dockerfile");
        Assert.Multiple(() =>
        {
            Assert.That(prometheus.Text("image"), Does.StartWith("prom/prometheus:"));
            Assert.That(prometheus.Items("volumes").Select(DockerComposeTests.Mount), Does.Contain($"{PrometheusConfig}:{Flag(prometheus, "--config.file")}:ro"),
                "the scrape config, where Prometheus reads it");
            Assert.That(scraped.Select(t => t.Target), Is.EquivalentTo(nodes.Select(n => $"{n}:{DeployFiles.ImagePort}")),
                "every node, once, on the port the image listens on");
            foreach (var (job, target) in scraped)
            {
                // Prometheus' defaults where the job says nothing.
                Assert.That(job.Has("metrics_path") ? job.Text("metrics_path") : "/metrics", Is.EqualTo(TelemetryExtensions.MetricsPath), target);
                Assert.That(job.Has("scheme") ? job.Text("scheme") : "http", Is.EqualTo("http"), target);
            }

            // Prometheus asks no one who they are: published, it would show anyone what nginx keeps to the operator.
            Assert.That(prometheus.Has("ports"), Is.False, "Prometheus publishes a port");
        });
    }

    [Test]
    public async Task Grafana_ShowsTheHubDashboard_OverThatPrometheus_BehindThePasswordOfTheEnvFile()
    {
        var secrets = DockerComposeTests.FilledExample();
        var services = (await DockerComposeTests.ConfigAsync(secrets)).At("services");
        var grafana = services.At("grafana");
        var mounts = grafana.Items("volumes").Select(DockerComposeTests.Mount).ToList();
        var datasource = Yaml.Documents(File.ReadAllText(Path.Combine(Provisioning, "datasources", "prometheus.yaml"))).Single().Items("datasources").Single();
        var dashboards = Yaml.Documents(File.ReadAllText(Path.Combine(Provisioning, "dashboards", "hub.yaml"))).Single().Items("providers").Single().Text("options", "path");
        var dashboard = $"{dashboards}/{Path.GetFileName(GrafanaDashboardTests.DashboardPath)}";
        var prometheus = new Uri(datasource.Text("url"));

        Assert.Multiple(() =>
        {
            Assert.That(grafana.Text("image"), Does.StartWith("grafana/grafana:"));
            foreach (var kind in new[] { "datasources", "dashboards" })
            {
                Assert.That(mounts, Does.Contain($"{Path.Combine(Provisioning, kind)}:/etc/grafana/provisioning/{kind}:ro"), $"the {kind} Grafana provisions");
            }

            Assert.That(mounts, Does.Contain($"{GrafanaDashboardTests.DashboardPath}:{dashboard}:ro"), "the dashboard, where its provider reads");
            Assert.That(grafana.Text("environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"), Is.EqualTo(dashboard));
            Assert.That(datasource.Text("type"), Is.EqualTo("prometheus"));
            Assert.That(services.Text(prometheus.Host, "image"), Does.StartWith("prom/prometheus:"), $"{prometheus} is the prometheus service");
            Assert.That(services.Items(prometheus.Host, "command").Select(c => c.ToString()), Has.None.StartsWith("--web.listen-address"));
            Assert.That(prometheus.Port, Is.EqualTo(PrometheusPort));
            // $__rate_interval spans four of these: the scrape interval, or a rate may fall between two scrapes.
            Assert.That(datasource.Text("jsonData", "timeInterval"), Is.EqualTo(ScrapeConfig.Text("global", "scrape_interval")));
            Assert.That(grafana.Text("environment", "GF_SECURITY_ADMIN_PASSWORD"), Is.EqualTo(secrets[GrafanaPassword]), $"from {GrafanaPassword}");
            Assert.That(grafana.At("ports", 0).Text("published"), Is.EqualTo("3000"), "the address the README gives");
        });
    }

    /// <summary>The value of a --name=value flag of a service's command.</summary>
    private static string Flag(YamlNode service, string name) =>
        service.Items("command").Select(c => c.ToString()).Where(c => c.StartsWith(name + "=", StringComparison.Ordinal)).Select(c => c[(name.Length + 1)..]).SingleOrDefault()
            ?? throw new AssertionException($"No {name}= in the command of the service.");
}
