using Hub.Server;
using Hub.Server.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Tests.Handlers;

/// <summary>
/// Which handler a node runs: the application's, however it registered it, over one registered
/// only if none is (as the upstream webhooks register theirs); none at all when there is none.
/// </summary>
public sealed class HandlerRegistrationTests
{
    [Test]
    public async Task UseHandler_Wins_OverAHandlerRegisteredOnlyIfNoneIs()
    {
        await using var app = Build(builder =>
        {
            builder.AddRealtimeHub(o => o.UseHandler<ApplicationsOwn>());
            builder.Services.TryAddSingleton<IHubHandler, Fallback>();
        });

        Assert.That(HandlerOf(app), Is.InstanceOf<ApplicationsOwn>());
    }

    [Test]
    public async Task AHandlerRegisteredAsAService_AfterAddRealtimeHub_IsTheOneThatRuns()
    {
        await using var app = Build(builder =>
        {
            builder.AddRealtimeHub();
            builder.Services.TryAddSingleton<IHubHandler, Fallback>();
            builder.Services.AddSingleton<IHubHandler, ApplicationsOwn>();
        });

        Assert.That(HandlerOf(app), Is.InstanceOf<ApplicationsOwn>());
    }

    [Test]
    public async Task WithoutAHandler_ThereIsNone()
    {
        await using var app = Build(builder => builder.AddRealtimeHub());

        Assert.That(HandlerOf(app), Is.Null);
    }

    private static WebApplication Build(Action<WebApplicationBuilder> configure)
    {
        var builder = WebApplication.CreateBuilder();
        configure(builder);
        return builder.Build();
    }

    private static IHubHandler? HandlerOf(WebApplication app) => app.Services.GetRequiredService<ApplicationHandler>().Handler;

    private sealed class ApplicationsOwn : HubHandler;

    private sealed class Fallback : HubHandler;
}
