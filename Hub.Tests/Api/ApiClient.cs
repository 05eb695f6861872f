using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

/// <summary>Calls a node's HTTP API over real HTTP, with the test key unless told otherwise; every call is bounded.</summary>
public sealed class ApiClient : IAsyncDisposable
{
    public const string Key = "test-key-4f1c9a";

    private readonly HttpClient _http;

    public ApiClient(HubNode node, string? apiKey = Key, bool asBearer = false)
    {
        _http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };
        if (apiKey is not null && asBearer)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        else if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    /// <summary>A caller that sends these headers as written, unchecked: credentials in forms the API must refuse.</summary>
    public static ApiClient WithHeaders(HubNode node, params (string Name, string Value)[] headers)
    {
        var client = new ApiClient(node, apiKey: null);
        foreach (var (name, value) in headers)
        {
            client._http.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        return client;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, string? contentType = "application/json") =>
        SendContentAsync(method, path, body is null ? null : new StringContent(body, Encoding.UTF8), contentType);

    /// <summary>Sends <paramref name="content"/> with <paramref name="contentType"/> as given, unchecked (garbage too); null sends none.</summary>
    public async Task<HttpResponseMessage> SendContentAsync(HttpMethod method, string path, HttpContent? content, string? contentType)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (content is not null)
        {
            content.Headers.ContentType = null;
            if (contentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        return await _http.SendAsync(request).Within();
    }

    public Task<HttpResponseMessage> PostTextAsync(string path, string text) =>
        SendAsync(HttpMethod.Post, path, JsonSerializer.Serialize(new { text }));

    /// <summary>Posts a text and expects it accepted: 202 with a <see cref="SendResult"/>.</summary>
    public async Task<SendResult> SendTextAsync(string path, string text)
    {
        using var response = await PostTextAsync(path, text);
        return await ReadAsync<SendResult>(response, HttpStatusCode.Accepted);
    }

    /// <summary>Posts <c>{ event, data }</c> (the event left out when null), the data as written, and expects it accepted.</summary>
    public async Task<SendResult> PublishAsync(string path, string? @event, string dataJson)
    {
        var body = @event is null ? $"{{\"data\":{dataJson}}}" : $"{{\"event\":{JsonSerializer.Serialize(@event)},\"data\":{dataJson}}}";
        using var response = await SendAsync(HttpMethod.Post, path, body);
        return await ReadAsync<SendResult>(response, HttpStatusCode.Accepted);
    }

    public async Task<T> GetAsync<T>(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path);
        return await ReadAsync<T>(response, HttpStatusCode.OK);
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync().Within();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        return JsonSerializer.Deserialize<T>(body, JsonSerializerOptions.Web)!;
    }

    /// <summary>Asserts an RFC 9457 problem with this status whose detail says <paramref name="detail"/> (empty: any or none).</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        var body = await response.Content.ReadAsStringAsync().Within();
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
        using var problem = JsonDocument.Parse(body);
        Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
        if (detail.Length > 0)
        {
            Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain(detail));
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
