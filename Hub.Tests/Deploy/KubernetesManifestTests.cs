using System.Net;
using System.Text.RegularExpressions;
using Hub.Server.Api;
using Hub.Server.Telemetry;
using Hub.Server.Web;
using Hub.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Hub.Tests.Deploy;

/// <summary>
/// deploy/k8s, parsed: every manifest is well-formed, and its probes, ports and names point at what
/// a Hub node really serves and at each other. (No cluster here: kubectl never ran them.)
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private static readonly string Directory = DeployFiles.PathOf("deploy", "k8s");

    private static IReadOnlyList<YamlMappingNode> All =>
        [.. System.IO.Directory.GetFiles(Directory, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => Yaml.Documents(File.ReadAllText(f)))];

    private static YamlNode Manifest(string kind, string name) =>
        All.SingleOrDefault(m => m.Text("kind") == kind && m.Text("metadata", "name") == name)
            ?? throw new AssertionException($"No {kind} '{name}' in deploy/k8s.");

    private static YamlNode HubContainer => Manifest("Deployment", "hub").Named("hub", "spec", "template", "spec", "containers");

    private static IEnumerable<YamlNode> IngressPaths => Manifest("Ingress", "hub").Items("spec", "rules", 0, "http", "paths");

    [Test]
    public void EveryManifest_NamesItsKind_AndKustomizeListsEveryFile()
    {
        var files = System.IO.Directory.GetFiles(Directory, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");
        var kustomization = Yaml.Documents(File.ReadAllText(Path.Combine(Directory, "kustomization.yaml"))).Single();

        Assert.That(kustomization.Items("resources").Select(r => r.ToString()), Is.EquivalentTo(files));
        Assert.That(All.Select(m => $"{m.Text("kind")}/{m.Text("metadata", "name")}"), Is.EquivalentTo(new[]
        {
            "Deployment/hub", "Service/hub", "Ingress/hub", "PodDisruptionBudget/hub", "Deployment/redis", "Service/redis",
        }));
        Assert.That(All.Select(m => m.Text("apiVersion")), Has.All.Not.Empty);
    }

    [Test]
    public async Task Probes_AskANodeForWhatItServes()
    {
        var probes = new[] { "readinessProbe", "livenessProbe", "startupProbe" }.ToDictionary(p => p, p => HubContainer.At(p, "httpGet"));
        await using var node = await TestNode.StartAsync("k8s-probed", new Dictionary<string, string?>());
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };

        Assert.Multiple(() =>
        {
            Assert.That(probes["readinessProbe"].Text("path"), Is.EqualTo("/readyz"));
            Assert.That(probes["livenessProbe"].Text("path"), Is.EqualTo("/healthz"));
            Assert.That(probes.Values.Select(p => p.Text("port")), Has.All.EqualTo("http"));
        });
        foreach (var (name, probe) in probes)
        {
            using var response = await http.GetAsync(probe.Text("path")).Within();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{name} GET {probe.Text("path")}");
        }
    }

    [Test]
    public void Ports_LeadFromTheIngress_ThroughTheService_ToThePortTheImageListensOn()
    {
        var service = Manifest("Service", "hub");
        var ingressBackends = IngressPaths.Select(p => p.At("backend", "service")).ToList();
        var containerPort = HubContainer.Named("http", "ports");

        Assert.Multiple(() =>
        {
            Assert.That(int.Parse(containerPort.Text("containerPort")), Is.EqualTo(DeployFiles.ImagePort));
            Assert.That(service.Named("http", "spec", "ports").Text("targetPort"), Is.EqualTo("http"));
            Assert.That(ingressBackends.Select(b => b.Text("name")), Has.All.EqualTo("hub"));
            Assert.That(ingressBackends.Select(b => b.Text("port", "name")), Has.All.EqualTo("http"));
            Assert.That(Labels(service.At("spec", "selector")), Is.EqualTo(Labels(Manifest("Deployment", "hub").At("spec", "template", "metadata", "labels"))));
            Assert.That(Labels(Manifest("PodDisruptionBudget", "hub").At("spec", "selector", "matchLabels")), Is.EqualTo(Labels(service.At("spec", "selector"))));
        });
    }

    [Test]
    public void Deployment_RunsThreeNodes_NamedAfterTheirPods_OnTheDemoRedis()
    {
        var deployment = Manifest("Deployment", "hub");
        var redisService = Manifest("Service", "redis");

        Assert.Multiple(() =>
        {
            Assert.That(deployment.Text("spec", "replicas"), Is.EqualTo("3"));
            Assert.That(HubContainer.Named("Hub__NodeId", "env").Text("valueFrom", "fieldRef", "fieldPath"), Is.EqualTo("metadata.name"));
            Assert.That(HubContainer.Named("Hub__Redis", "env").Text("value"),
                Is.EqualTo($"{redisService.Text("metadata", "name")}:{redisService.Named("redis", "spec", "ports").Text("port")}"));
            Assert.That(Labels(redisService.At("spec", "selector")),
                Is.EqualTo(Labels(Manifest("Deployment", "redis").At("spec", "template", "metadata", "labels"))));
        });
    }

    [Test]
    public void Pods_HaveTimeToDrain_BeforeTheyAreKilled()
    {
        var spec = Manifest("Deployment", "hub").At("spec", "template", "spec");
        var preStop = HubContainer.Items("lifecycle", "preStop", "exec", "command").Select(c => c.ToString()).ToList();
        var drain = int.Parse(HubContainer.Named("Hub__Shutdown__DrainSeconds", "env").Text("value"));

        Assert.That(preStop, Has.Count.EqualTo(2));
        Assert.That(preStop[0], Is.EqualTo("sleep"));
        // The preStop sleep, then the drain, then a margin for the process to exit.
        Assert.That(int.Parse(spec.Text("terminationGracePeriodSeconds")), Is.GreaterThanOrEqualTo(int.Parse(preStop[1]) + drain + 5));
    }

    [Test]
    public void Ingress_KeepsAClientOnItsNode_WithTheCookieOfTheNginxConf_AndLongTimeouts()
    {
        var annotations = Manifest("Ingress", "hub").At("metadata", "annotations");
        string Annotation(string name) => annotations.Text($"nginx.ingress.kubernetes.io/{name}");

        Assert.Multiple(() =>
        {
            Assert.That(Annotation("affinity"), Is.EqualTo("cookie"));
            Assert.That(Annotation("session-cookie-name"), Is.EqualTo(DeployFiles.AffinityCookie));
            // Above SignalR's 90 s long poll, as in deploy/nginx.conf.
            Assert.That(int.Parse(Annotation("proxy-read-timeout")), Is.GreaterThan(90));
            Assert.That(int.Parse(Annotation("proxy-send-timeout")), Is.GreaterThan(90));
            Assert.That(Annotation("proxy-buffering"), Is.EqualTo("off"));
        });
    }

    [Test]
    public void Deployment_RequiresTokens_AndTakesItsKeys_FromTheSecretTheDeploymentGuideCreates()
    {
        var guide = DeployFiles.Read("docs", "deployment.md");

        Assert.Multiple(() =>
        {
            Assert.That(HubContainer.Named("Hub__Auth__Mode", "env").Text("value"), Is.EqualTo("Jwt"));
            foreach (var setting in new[] { "Hub__Auth__Jwt__SigningKey", "Hub__Api__Keys__0" })
            {
                var variable = HubContainer.Named(setting, "env");
                Assert.That(variable.Has("value"), Is.False, $"{setting} written in the manifest");
                var secret = variable.At("valueFrom", "secretKeyRef");
                // An optional key would let a pod start without it: anonymous, or with the API refusing everyone.
                Assert.That(secret.Has("optional") && secret.Text("optional") == "true", Is.False, $"{setting} optional");
                Assert.That(guide, Does.Contain($"kubectl create secret generic {secret.Text("name")}"), $"docs/deployment.md creates {setting}'s Secret");
                Assert.That(guide, Does.Contain($"--from-literal={secret.Text("key")}="), $"docs/deployment.md fills {setting}'s key");
            }
        });
    }

    [Test]
    public void Ingress_RoutesThePageTheHubAndTheApi_ButNotMetricsOpenApiOrDocs()
    {
        var paths = IngressPaths.ToList();
        bool Routed(string request) => paths.Any(p => Matches(p, request));
        // What the demo page loads, by the references in its HTML: a file added there needs a path here.
        var pageFiles = PageReference().Matches(File.ReadAllText(Path.Combine(RepoPaths.DemoWebRoot, "index.html"))).Select(m => "/" + m.Groups[1].Value);
        string[] used = ["/", WebExtensions.NodePath, .. pageFiles, "/hub", "/hub/negotiate", "/api/v1/messages", "/api/v1/streams/all/messages"];
        string[] closed = [TelemetryExtensions.MetricsPath, "/METRICS", "/metrics/", "/openapi/v1.json", "/OpenAPI/v1.json", "/openapi",
            ApiDocs.Path, ApiDocs.Path + "/", ApiDocs.Path + "/scalar.js", "/DOCS"];

        Assert.Multiple(() =>
        {
            Assert.That(used.Where(r => !Routed(r)), Is.Empty, "paths clients use that the Ingress does not route");
            Assert.That(closed.Where(Routed), Is.Empty, "operator paths that the Ingress routes");
        });
    }

    [Test]
    public void Pods_AskPrometheusToScrapeTheirOwnPort_ForTheMetricsTheyServe()
    {
        var annotations = Manifest("Deployment", "hub").At("spec", "template", "metadata", "annotations");

        Assert.Multiple(() =>
        {
            Assert.That(annotations.Text("prometheus.io/scrape"), Is.EqualTo("true"));
            Assert.That(int.Parse(annotations.Text("prometheus.io/port")), Is.EqualTo(int.Parse(HubContainer.Named("http", "ports").Text("containerPort"))));
            Assert.That(annotations.Text("prometheus.io/path"), Is.EqualTo(TelemetryExtensions.MetricsPath));
        });
    }

    /// <summary>Kubernetes' path matching: Exact is the whole path, Prefix whole path elements; both case-sensitive.</summary>
    private static bool Matches(YamlNode path, string request) => path.Text("pathType") switch
    {
        "Exact" => request == path.Text("path"),
        "Prefix" => request == path.Text("path").TrimEnd('/') || request.StartsWith(path.Text("path").TrimEnd('/') + "/", StringComparison.Ordinal),
        var other => throw new AssertionException($"pathType {other}: its matching is the controller's, which this test cannot follow."),
    };

    private static Dictionary<string, string> Labels(YamlNode node) =>
        ((YamlMappingNode)node).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());

    // Relative src and href attributes: the page's own files (not data: or other sites).
    [GeneratedRegex(@"(?:src|href)=""([^"":/][^"":]*)""")]
    private static partial Regex PageReference();
}
