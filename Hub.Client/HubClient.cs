using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Hub.Client.Internal;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hub.Client;

/// <summary>
/// A typed connection to Hub. It reconnects on its own (to any node), re-joins its groups,
/// resumes its streams, drops duplicates, and says when messages could not be recovered.
/// </summary>
public sealed partial class HubClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly ILogger _logger;
    private readonly StreamTracker _streams = new();
    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);
    private readonly Channel<Message> _reader;
    private readonly ResumeHold _hold = new();
    private volatile bool _readerActive;

    /// <summary>Creates a client; nothing is connected until <see cref="StartAsync"/>.</summary>
    public HubClient(HubClientOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReaderCapacity, 1);
        var urls = options.EndpointList();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<HubClient>();
        _reader = Channel.CreateBounded<Message>(new BoundedChannelOptions(options.ReaderCapacity) { SingleWriter = true });

        var builder = new HubConnectionBuilder()
            .WithUrl(urls[0], http => http.AccessTokenProvider = options.AccessTokenProvider)
            .WithAutomaticReconnect(options.ReconnectPolicy ?? JitteredBackoffPolicy.Default);
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        if (options.Protocol == HubProtocolKind.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }

        if (urls.Count > 1 || urls.Any(TcpConnectionFactory.IsTcp))
        {
            // The HTTP factory refuses an endpoint other than HttpConnectionOptions.Url, so the
            // options carry none and the endpoint (and with it HTTP or TCP) is chosen per connect.
            builder.Services.PostConfigure<HttpConnectionOptions>(o => o.Url = null);
            builder.Services.AddSingleton<EndPoint>(new UriEndPoint(urls[0]));
            builder.Services.AddSingleton<HttpConnectionFactory>();
            var tcp = new TcpConnectionFactory(options.AccessTokenProvider);
            builder.Services.AddSingleton<IConnectionFactory>(sp =>
                new FailoverConnectionFactory(sp.GetRequiredService<HttpConnectionFactory>(), tcp, urls));
        }

        options.ConfigureConnection?.Invoke(builder);
        _connection = builder.Build();

        _connection.On<Message>(nameof(IHubClient.Receive), OnReceive);
        _connection.On<PresenceEvent>(nameof(IHubClient.MemberJoined), e => MemberJoined?.Invoke(e));
        _connection.On<PresenceEvent>(nameof(IHubClient.MemberLeft), e => MemberLeft?.Invoke(e));
        _connection.Reconnecting += error =>
        {
            // From the next connection on, messages wait until the resume has replayed the gap.
            _hold.Begin();

            Reconnecting?.Invoke(error);
            return Task.CompletedTask;
        };
        _connection.Reconnected += OnReconnectedAsync;
        _connection.Closed += error =>
        {
            // A connection that closed mid-resume leaves nothing held back.
            ReleaseHeld(liveConnectionId: null);
            Closed?.Invoke(error);
            return Task.CompletedTask;
        };
    }

    /// <summary>A message arrived (each message once, in stream order).</summary>
    public event Action<Message>? MessageReceived;

    /// <summary>Someone joined a group this client is in.</summary>
    public event Action<PresenceEvent>? MemberJoined;

    /// <summary>Someone left a group this client is in.</summary>
    public event Action<PresenceEvent>? MemberLeft;

    /// <summary>The connection was lost and the client is reconnecting; the argument is the cause, if known.</summary>
    public event Action<Exception?>? Reconnecting;

    /// <summary>The client reconnected, re-joined its groups and resumed its streams; the argument is the new connection id.</summary>
    public event Action<string?>? Reconnected;

    /// <summary>The connection closed for good (stopped, reconnect given up, or closed by the server without reconnect).</summary>
    public event Action<Exception?>? Closed;

    /// <summary>Messages of these streams were lost: history could not cover a reconnect gap, or a reader fell behind.</summary>
    public event Action<IReadOnlyList<string>>? MessagesLost;

    /// <summary>The current connection id (it changes on every reconnect), or null when not connected.</summary>
    public string? ConnectionId => _connection.ConnectionId;

    /// <summary>The connection state.</summary>
    public HubConnectionState State => _connection.State;

    /// <summary>Connects, then asks for the positions of the implicit streams so a later gap can be detected.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _connection.StartAsync(cancellationToken);
        ResumeResult? positions = null;
        try
        {
            positions = await ResumeStreamsAsync([], cancellationToken);
        }
        finally
        {
            // What came before the positions were known is delivered first, so that taking them
            // (below) cannot make those messages look old.
            ReleaseHeld(_connection.ConnectionId);
        }

        if (positions is not null)
        {
            ApplyResumeResult([], positions);
        }
    }

    /// <summary>Disconnects; the client may be started again.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _connection.StopAsync(cancellationToken);

    /// <inheritdoc cref="IHubServer.Send"/>
    public Task<SendResult> SendAsync(string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.Send), text, cancellationToken);

    /// <inheritdoc cref="IHubServer.SendToConnection"/>
    public Task<SendResult> SendToConnectionAsync(string connectionId, string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.SendToConnection), connectionId, text, cancellationToken);

    /// <inheritdoc cref="IHubServer.SendToUser"/>
    public Task<SendResult> SendToUserAsync(string userId, string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.SendToUser), userId, text, cancellationToken);

    /// <inheritdoc cref="IHubServer.SendToGroup"/>
    public Task<SendResult> SendToGroupAsync(string group, string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.SendToGroup), group, text, cancellationToken);

    /// <summary>Joins a group; the client re-joins it by itself after every reconnect until <see cref="LeaveAsync"/>.</summary>
    public async Task<JoinResult> JoinAsync(string group, CancellationToken cancellationToken = default)
    {
        var result = await _connection.InvokeAsync<JoinResult>(nameof(IHubServer.Join), group, cancellationToken);
        lock (_groups)
        {
            _groups.Add(group);
        }

        _streams.Observe(GroupStream(group), result.Epoch, result.Offset, overwrite: false);
        return result;
    }

    /// <inheritdoc cref="IHubServer.Leave"/>
    public async Task LeaveAsync(string group, CancellationToken cancellationToken = default)
    {
        await _connection.InvokeAsync(nameof(IHubServer.Leave), group, cancellationToken);
        lock (_groups)
        {
            _groups.Remove(group);
        }

        _streams.Forget(GroupStream(group));
    }

    /// <inheritdoc cref="IHubServer.Resume"/>
    public Task<ResumeResult> ResumeAsync(ResumeRequest request, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<ResumeResult>(nameof(IHubServer.Resume), request, cancellationToken);

    /// <inheritdoc cref="IHubServer.GetPresence"/>
    public Task<PresenceSnapshot> GetPresenceAsync(string? group = null, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<PresenceSnapshot>(nameof(IHubServer.GetPresence), group, cancellationToken);

    /// <summary>
    /// The messages <see cref="MessageReceived"/> sees, as an async stream from a bounded buffer
    /// (<see cref="HubClientOptions.ReaderCapacity"/>), buffered from the first call on. A reader
    /// that falls further behind loses messages and is told through <see cref="MessagesLost"/>.
    /// </summary>
    public async IAsyncEnumerable<Message> ReadMessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _readerActive = true;
        while (await _reader.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_reader.Reader.TryRead(out var message))
            {
                yield return message;
            }
        }
    }

    /// <summary>Disconnects and releases the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _reader.Writer.TryComplete();
        await _connection.DisposeAsync();
    }

    private void OnReceive(Message message)
    {
        if (!_hold.TryHold(message, _connection.ConnectionId))
        {
            Deliver(message);
        }
    }

    private void Deliver(Message message)
    {
        if (!_streams.Accept(message))
        {
            return;
        }

        MessageReceived?.Invoke(message);
        if (_readerActive && !_reader.Writer.TryWrite(message))
        {
            Log.ReaderOverflow(_logger, message.Stream);
            MessagesLost?.Invoke([message.Stream]);
        }
    }

    private async Task OnReconnectedAsync(string? connectionId)
    {
        string[] groups;
        lock (_groups)
        {
            groups = [.. _groups];
        }

        foreach (var group in groups)
        {
            try
            {
                await _connection.InvokeAsync<JoinResult>(nameof(IHubServer.Join), group);
            }
            catch (Exception ex)
            {
                Log.RejoinFailed(_logger, group, ex);
            }
        }

        // A connection stream ends with its connection: there is nothing to resume on it.
        _streams.ForgetConnectionStreams();
        var positions = _streams.Snapshot();
        ResumeResult? result = null;
        try
        {
            result = await ResumeStreamsAsync(positions, CancellationToken.None);
            if (result is not null)
            {
                await WaitForReplayAsync(result);
            }
        }
        finally
        {
            ReleaseHeld(connectionId);
        }

        if (result is not null)
        {
            ApplyResumeResult(positions, result);
        }

        Reconnected?.Invoke(connectionId);
    }

    /// <summary>Delivers what arrived while resuming (the tracker drops duplicates).</summary>
    private void ReleaseHeld(string? liveConnectionId)
    {
        _hold.GoLive(liveConnectionId);
        while (_hold.TakeOrStop() is { } held)
        {
            foreach (var message in held)
            {
                Deliver(message);
            }
        }
    }

    /// <summary>Replays what was missed on the given streams; reports those that could not be recovered.</summary>
    private async Task<ResumeResult?> ResumeStreamsAsync(IReadOnlyList<StreamPosition> positions, CancellationToken cancellationToken)
    {
        try
        {
            return await ResumeAsync(new ResumeRequest { Streams = positions }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Without a resume the client cannot know what it missed.
            Log.ResumeFailed(_logger, ex);
            if (positions.Count > 0)
            {
                MessagesLost?.Invoke([.. positions.Select(p => p.Stream)]);
            }

            return null;
        }
    }

    /// <summary>
    /// Takes the positions a resume reported, after its replayed messages were delivered (a
    /// stream not recovered jumps to where the server is), and reports the streams that lost messages.
    /// </summary>
    private void ApplyResumeResult(IReadOnlyList<StreamPosition> positions, ResumeResult result)
    {
        var lost = new List<string>();
        foreach (var stream in result.Streams)
        {
            _streams.Observe(stream.Stream, stream.Epoch, stream.Offset, overwrite: !stream.Recovered);
            if (!stream.Recovered && positions.Count > 0)
            {
                lost.Add(stream.Stream);
            }
        }

        if (lost.Count > 0)
        {
            MessagesLost?.Invoke(lost);
        }
    }

    /// <summary>Waits, bounded, until the replayed messages went through the SignalR client's handler loop.</summary>
    private async Task WaitForReplayAsync(ResumeResult result)
    {
        try
        {
            await _hold.WaitForReplayAsync(result.Streams).WaitAsync(ReplayWait);
        }
        catch (TimeoutException)
        {
            Log.ReplayIncomplete(_logger, ReplayWait.TotalSeconds);
        }
    }

    private static readonly TimeSpan ReplayWait = TimeSpan.FromSeconds(10);

    private static string GroupStream(string group) => "group:" + group;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Re-joining group {Group} after a reconnect failed.")]
        public static partial void RejoinFailed(ILogger logger, string group, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Resuming streams failed; the messages missed while disconnected cannot be recovered.")]
        public static partial void ResumeFailed(ILogger logger, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "Replayed messages had not all arrived {Seconds} s after the resume returned; delivering what did.")]
        public static partial void ReplayIncomplete(ILogger logger, double seconds);

        [LoggerMessage(3, LogLevel.Warning, "The message reader fell more than its capacity behind; a message of stream {Stream} was dropped.")]
        public static partial void ReaderOverflow(ILogger logger, string stream);
    }
}
