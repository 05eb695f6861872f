using System.Globalization;
using Hub.Server.Core;
using Hub.Server.History;

namespace Hub.Server.Api;

/// <summary>Reading a stream's history.</summary>
internal static class StreamsApi
{
    public const int DefaultLimit = 100;

    public const int MaxLimit = 1000;

    public static RouteGroupBuilder MapStreams(this RouteGroupBuilder api)
    {
        // after and limit arrive as strings and are parsed here, so that a bad value gets a 400
        // that says which parameter was wrong (framework binding would answer an empty 400).
        api.MapGet("/streams/{stream}/messages", async (string stream, string? after, string? limit, IHistoryStore history, CancellationToken cancellationToken) =>
            {
                Target.ParseStream(stream);
                var page = await history.ReadAsync(stream, ParseAfter(after), ParseLimit(limit), cancellationToken);
                return TypedResults.Ok(new StreamHistory(page.Epoch, page.Messages));
            })
            .WithSummary($"Messages of a stream after an offset, oldest first (limit default {DefaultLimit}, at most {MaxLimit}).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }

    private static long ParseAfter(string? value) =>
        value is null ? 0
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var after) ? after
        : throw HubRequestException.Invalid($"'after' must be an offset: a whole number, 0 or more; got '{value}'.");

    private static int ParseLimit(string? value) =>
        value is null ? DefaultLimit
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxLimit ? limit
        : throw HubRequestException.Invalid($"'limit' must be a whole number from 1 to {MaxLimit}; got '{value}'.");
}
