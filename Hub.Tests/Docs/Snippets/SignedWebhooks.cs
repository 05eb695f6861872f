using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hub.Tests.Docs.Snippets;

/// <summary>docs/webhooks.md: a backend that checks the signature, then decides.</summary>
internal sealed class SignedWebhooks : SnippetContext
{
    public static void Map(WebApplication app, string secret)
    {
        #region fragment
        // ASP.NET Core minimal API
        app.MapPost("/hub-events/{event}", async (string @event, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(request.Headers["X-Hub-Signature-256"].ToString())))
            {
                return Results.Problem(statusCode: 401, detail: "The signature does not match.");
            }

            var json = JsonDocument.Parse(body).RootElement;
            if (@event == "join" && json.GetProperty("group").GetString() == "staff" && json.GetProperty("user").GetString() != "admin")
            {
                return Results.Problem(statusCode: 403, detail: "staff is for staff only.");
            }

            return Results.NoContent();
        });
        #endregion
    }
}
