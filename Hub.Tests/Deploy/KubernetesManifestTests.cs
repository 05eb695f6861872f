using System.Net;
using Hub.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Hub.Tests.Deploy;

/// <summary>
/// deploy/k8s, parsed: every manifest is well-formed, and its probes, ports and names point at what
/// a Hub node really serves and at each other. (No cluster here: kubectl never ran them.)
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Directory = DeployFiles.PathOf("deploy", "k8s");

    private static IReadOnlyList<YamlMappingNode> All =>
        [.. System.IO.Directory.GetFiles(Directory, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => Yaml.Documents(File.ReadAllText(f)))];

    private static YamlNode Manifest(string kind, string name) =>
        All.SingleOrDefault(m => m.Text("kind") == kind && m.Text("metadata", "name") == name)
            ?? throw new AssertionException($"No {kind} '{name}' in deploy/k8s.");

    private static YamlNode HubContainer => Manifest("Deployment", "hub").Named("hub", "spec", "template", "spec", "containers");

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
        var ingressBackend = Manifest("Ingress", "hub").At("spec", "rules", 0, "http", "paths", 0, "backend", "service");
        var containerPort = HubContainer.Named("http", "ports");

        Assert.Multiple(() =>
        {
            Assert.That(int.Parse(containerPort.Text("containerPort")), Is.EqualTo(DeployFiles.ImagePort));
            Assert.That(service.Named("http", "spec", "ports").Text("targetPort"), Is.EqualTo("http"));
            Assert.That(ingressBackend.Text("name"), Is.EqualTo("hub"));
            Assert.That(ingressBackend.Text("port", "name"), Is.EqualTo("http"));
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

    private static Dictionary<string, string> Labels(YamlNode node) =>
        ((YamlMappingNode)node).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());
}
