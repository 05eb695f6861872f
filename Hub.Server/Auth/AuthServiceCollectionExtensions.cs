using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hub.Server.Auth;

internal static partial class AuthServiceCollectionExtensions
{
    /// <summary>
    /// The hub's own bearer scheme. Named apart from "Bearer" so that it neither collides with
    /// nor is taken as the default by other authentication on the node (the HTTP API's keys).
    /// </summary>
    public const string Scheme = "HubJwt";

    /// <summary>The policy every <c>/hub</c> request (negotiate and connect) must pass.</summary>
    public const string HubPolicy = "Hub";

    /// <summary>
    /// Registers <c>Hub:Auth</c>: in Jwt mode a valid token is required and names the user; in
    /// None mode anyone may connect and the <c>user</c> query parameter names the user.
    /// </summary>
    public static WebApplicationBuilder AddHubAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());

        services.AddAuthentication().AddJwtBearer(Scheme);
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, ConfigureHubJwtBearer>();
        services.AddSingleton<HubRequestAuthorization>();
        services.AddSingleton<HubTokenValidator>();
        services.AddAuthorization();
        // The hub endpoint names this policy in either mode; what it demands follows Hub:Auth:Mode.
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<AuthOptions>>((o, auth) =>
            o.AddPolicy(HubPolicy, auth.Value.Mode == AuthMode.Jwt
                ? new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().Build()
                : new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build()));

        services.AddSingleton<IUserIdProvider>(sp => sp.GetRequiredService<IOptions<AuthOptions>>().Value.Mode == AuthMode.Jwt
            ? new SubjectUserIdProvider()
            : new QueryUserIdProvider());

        services.AddSingleton<GroupAccessFilter>();
        // After every Configure, so the filter runs inside HubErrorFilter, which turns its
        // refusal into the HubException the caller sees.
        services.AddOptions<HubOptions>().PostConfigure<IOptions<AuthOptions>>((o, auth) =>
        {
            if (auth.Value.RestrictGroups)
            {
                o.AddFilter<GroupAccessFilter>();
            }
        });
        return builder;
    }

    /// <summary>Authenticates and authorizes requests; warns at start when identities are self-claimed in Production.</summary>
    public static WebApplication UseHubAuth(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();

        if (app.Environment.IsProduction() && app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Mode == AuthMode.None)
        {
            Log.UserFromQueryInProduction(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthServiceCollectionExtensions).Namespace!));
        }

        return app;
    }

    /// <summary>Puts the hub's endpoints (negotiate and connect) under <see cref="HubPolicy"/>.</summary>
    public static HubEndpointConventionBuilder RequireHubAuth(this HubEndpointConventionBuilder hub)
    {
        hub.RequireAuthorization(HubPolicy);
        return hub;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Clients name themselves with the 'user' query parameter (Hub:Auth:Mode=None): anyone can claim any user id. Use it for development only, or set Hub:Auth:Mode=Jwt.")]
        public static partial void UserFromQueryInProduction(ILogger logger);
    }
}
