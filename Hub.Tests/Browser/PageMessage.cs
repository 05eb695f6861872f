namespace Hub.Tests.Browser;

/// <summary>A message as the demo page recorded it in <c>window.hubDemo.messages</c>.</summary>
internal sealed record PageMessage(string Id, string Stream, long Offset, string From, string? User, string Text, bool SentAtIsDate);
