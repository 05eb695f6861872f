namespace Hub.Bench.Load;

/// <summary>
/// One connection of the load generator, speaking one server's wire protocol (SignalR over a
/// WebSocket or raw TCP, Socket.IO, the raw peer's): just enough of it to ask for a broadcast
/// and to receive and time messages, far lighter than a full client object per connection.
/// </summary>
internal interface ILoadSocket : IAsyncDisposable
{
    /// <summary>
    /// Asks the server to broadcast <paramref name="text"/> to every connection; the server's
    /// answer arrives as an <see cref="LoadEventKind.Ack"/> with the same <paramref name="id"/>.
    /// </summary>
    Task PublishAsync(long id, string text, CancellationToken cancellationToken);

    /// <summary>Asks the server to send <paramref name="text"/> to the members of <paramref name="group"/>; answered like a publish.</summary>
    Task PublishToGroupAsync(long id, string group, string text, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This server has no groups in the bench.");

    /// <summary>Joins <paramref name="group"/>; the server's answer arrives as an Ack with <paramref name="id"/>.</summary>
    Task JoinAsync(long id, string group, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This server has no groups in the bench.");

    /// <summary>Resumes <paramref name="stream"/> after the given position; the answer arrives as an Ack with <paramref name="id"/>.</summary>
    Task ResumeAsync(long id, string stream, string epoch, long offset, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This server has no stream resume in the bench.");

    /// <summary>
    /// Reads until the server closes (returns) or <paramref name="cancellationToken"/> fires;
    /// hands every message, answer and close notice to <paramref name="handle"/> as it arrives.
    /// </summary>
    Task ReceiveAllAsync(LoadEventHandler handle, CancellationToken cancellationToken);
}

internal enum LoadEventKind
{
    /// <summary>A broadcast message: <see cref="LoadEvent.Text"/>.</summary>
    Message,

    /// <summary>The answer to a publish: <see cref="LoadEvent.Id"/>, failed when <see cref="LoadEvent.Error"/> is set.</summary>
    Ack,

    /// <summary>The server ended the session in its protocol, with <see cref="LoadEvent.Error"/> as its reason.</summary>
    Closed,
}

/// <summary>What arrived on a load socket; <see cref="Text"/> is valid only while the handler runs.</summary>
internal readonly ref struct LoadEvent(LoadEventKind kind, ReadOnlySpan<byte> text = default, long id = -1, string? error = null, StreamPoint point = default)
{
    public LoadEventKind Kind { get; } = kind;

    /// <summary>The message's text as the bench sent it (its texts need no escaping in any protocol).</summary>
    public ReadOnlySpan<byte> Text { get; } = text;

    public long Id { get; } = id;

    public string? Error { get; } = error;

    /// <summary>The stream position a message or an answer carries, where the protocol is read for one.</summary>
    public StreamPoint Point { get; } = point;
}

/// <summary>Handles one event of a load socket as it arrives, on its receive loop.</summary>
internal delegate void LoadEventHandler(LoadEvent loadEvent);
