using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hub.Tests.Limits;

public sealed class CorsTests() : ClusterTest(Topology.InMemory)
{
    private const string Allowed = "http://app.example";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Cors:Origins:0"] = Allowed,
    };

    [TestCase(Allowed, true)]
    [TestCase("http://elsewhere.example", false)]
    public async Task Negotiate_AnswersThePreflight_OnlyForAListedOrigin(string origin, bool allowed)
    {
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/hub/negotiate?negotiateVersion=1");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await http.SendAsync(preflight).Within();

        var granted = response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
        Assert.That(granted, Is.EqualTo(allowed ? origin : null));
        if (allowed)
        {
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Credentials").Single(), Is.EqualTo("true"));
        }
    }

    [TestCase(Allowed, true)]
    [TestCase("http://elsewhere.example", false)]
    [TestCase("", true)]
    public async Task AWebSocketFromAnotherSite_IsRefused_UnlessListed(string origin, bool allowed)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", origin.Length > 0 ? origin : NodeA.BaseUrl.GetLeftPart(UriPartial.Authority));
        var url = new UriBuilder(NodeA.HubUrl) { Scheme = "ws" }.Uri;

        if (allowed)
        {
            await socket.ConnectAsync(url, CancellationToken.None).Within();
            Assert.That(socket.State, Is.EqualTo(WebSocketState.Open));
        }
        else
        {
            Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None).Within());
            Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }

    // RFC 8441: a WebSocket as an HTTP/2 stream (extended CONNECT), in cleartext (h2c, prior
    // knowledge) and over TLS (h2 by ALPN), with the direct path on and off.
    [Test]
    public async Task AWebSocketOverHttp2_FromAnotherSite_IsRefused_UnlessListed([Values] bool tls, [Values] bool direct)
    {
        using var certificate = tls ? SelfSigned() : null;
        var node = Own(await TestNode.StartAsync("node-h2", new Dictionary<string, string?>(Settings)
        {
            ["Hub:WebSockets:Direct"] = direct.ToString(),
        }, configure: builder => builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = tls ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }))));
        var url = new UriBuilder(node.HubUrl) { Scheme = tls ? "wss" : "ws" }.Uri;

        var foreign = await ConnectOverHttp2Async(url, "http://elsewhere.example");
        var listed = await ConnectOverHttp2Async(url, Allowed);

        Assert.Multiple(() =>
        {
            Assert.That(foreign, Is.EqualTo(HttpStatusCode.Forbidden), "a WebSocket from an origin not listed");
            Assert.That(listed, Is.EqualTo(HttpStatusCode.OK), "a WebSocket from a listed origin (HTTP/2 answers 200 to an extended CONNECT)");
        });
    }

    private static async Task<HttpStatusCode> ConnectOverHttp2Async(Uri url, string origin)
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", origin);
        try
        {
            await socket.ConnectAsync(url, invoker, CancellationToken.None).Within();
        }
        catch (WebSocketException)
        {
            // Refused: the status says why.
        }

        return socket.HttpStatusCode;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Kestrel needs the private key in a form the platform's TLS can use.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
