using Hub.Server.Core;
using Microsoft.Extensions.Options;

namespace Hub.Server.Web;

/// <summary>The demo chat page at <c>/</c> (files of wwwroot) and <c>GET /node</c>, which it uses to show the node.</summary>
internal static class WebExtensions
{
    public const string NodePath = "/node";

    public static WebApplication MapDemoPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // None of these file names carries a version, so a browser must revalidate (a cheap 304
            // through ETag / Last-Modified) rather than keep running an old page against an upgraded node.
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
            },
        });

        // Through a load balancer with cookie affinity this is the node that holds the page's
        // connection; never cached, so a page that reconnected elsewhere sees the new node.
        app.MapGet(NodePath, (HttpContext context, IOptions<ClusterOptions> cluster) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return new NodeInfo(cluster.Value.NodeId);
        });
        return app;
    }
}
