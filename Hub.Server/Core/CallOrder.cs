namespace Hub.Server.Core;

/// <summary>
/// The order of one connection's hub calls. SignalR may run a connection's calls side by side
/// (<see cref="MaxInFlight"/>), but they take effect in the order the client sent them: each
/// waits for its turn and holds it until it completes; a publish holds it only until the broker
/// has fixed its place in its stream (<see cref="TakePublishTurn"/>). So a client that sends without
/// waiting for each answer has its next message on its way to Redis while Redis answers the one
/// before, instead of one message per round trip, and its messages still take their offsets in
/// the order it sent them.
/// </summary>
/// <remarks>
/// SignalR starts a connection's calls one at a time, in the order they arrived, and runs each
/// until its first wait; the turn is taken before that wait, in a hub filter that runs before
/// any that may wait (CallOrderFilter), so the turns queue in arrival order
/// (<see cref="SemaphoreSlim"/> hands its count to async waiters first come, first served).
/// </remarks>
internal sealed class CallOrder
{
    /// <summary>
    /// Calls of one connection SignalR runs at once: publishes that are on their way to Redis,
    /// plus the one whose turn it is. Past it the connection's next call waits to start, as
    /// every call did before the turns.
    /// </summary>
    public const int MaxInFlight = 16;

    private static readonly AsyncLocal<Turn?> s_current = new();

    private readonly SemaphoreSlim _turns = new(1, 1);

    /// <summary>
    /// The turn of the hub call running here when it is a publish, for the broker to end once
    /// the message is placed (<see cref="Turn.End"/>); null outside a hub call or in any other.
    /// Taken once: what runs after it in this flow (an application's handler publishing a
    /// message of its own) finds none, so only the call's own message ends its turn early.
    /// </summary>
    public static Turn? TakePublishTurn()
    {
        var turn = s_current.Value;
        if (turn is null)
        {
            return null;
        }

        s_current.Value = null;
        return turn.EndsWhenPlaced ? turn : null;
    }

    /// <summary>
    /// Waits for this connection's calls before this one to take effect, then makes this call
    /// the current one of its flow; the caller ends the turn when the call completes.
    /// </summary>
    /// <param name="endsWhenPlaced">The call is a publish: its turn ends once its message is placed.</param>
    /// <param name="cancellationToken">Ends the wait when the connection closes.</param>
    public async ValueTask<Turn> WaitTurnAsync(bool endsWhenPlaced, CancellationToken cancellationToken)
    {
        await _turns.WaitAsync(cancellationToken);
        return new Turn(this, endsWhenPlaced);
    }

    /// <summary>
    /// Makes <paramref name="turn"/> the one <see cref="TakePublishTurn"/> finds in this flow. Set by the
    /// caller of <see cref="WaitTurnAsync"/>: an async local set inside an async method does not
    /// flow back out of it.
    /// </summary>
    public static void Enter(Turn turn) => s_current.Value = turn;

    /// <summary>One call's turn: ends once, at its placement or at its completion, whichever comes first.</summary>
    internal sealed class Turn(CallOrder order, bool endsWhenPlaced)
    {
        private int _ended;

        public bool EndsWhenPlaced { get; } = endsWhenPlaced;

        public void End()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                order._turns.Release();
            }
        }
    }
}
