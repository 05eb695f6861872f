using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

/// <summary>A cluster whose nodes accept <see cref="ApiClient.Key"/>; <see cref="Api"/> calls node A.</summary>
public abstract class ApiTest(Topology topology) : ClusterTest(topology)
{
    private ApiClient? _api;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Api:Keys:0"] = "another-key",
        ["Hub:Api:Keys:1"] = ApiClient.Key,
    };

    /// <summary>The API of node A: the calls go to A while the clients of a test sit on B.</summary>
    protected ApiClient Api => _api ??= Own(new ApiClient(NodeA));

    [TearDown]
    public void ForgetApi() => _api = null;
}
