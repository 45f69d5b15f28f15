using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// Decides, for the host's cluster client, whether to try again to reach the cluster at start: as Orleans' default
/// does (a growing pause between attempts) but only until <see cref="OrleansStrategyOptions.ConnectTimeout"/>; then it
/// fails the host's start with an exception that says what could not be reached and what to check.
/// </summary>
internal sealed class ClusterConnectRetryFilter(IOptions<OrleansStrategyOptions> options, IOptions<StaticGatewayListProviderOptions> gateways, TimeProvider timeProvider) : IClientConnectionRetryFilter
{
    private long _firstFailure;
    private int _attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        // Orleans asks once per failed attempt, one attempt at a time.
        var limit = options.Value.ConnectTimeout;
        var now = timeProvider.GetTimestamp();
        if (_attempts++ == 0)
        {
            _firstFailure = now;
        }

        var attempts = _attempts;
        var elapsed = timeProvider.GetElapsedTime(_firstFailure, now);
        var pause = TimeSpan.FromMilliseconds(Math.Min(500 * attempts, 2_000));
        if (elapsed + pause > limit)
        {
            var endpoints = gateways.Value.Gateways is { Count: > 0 } list ? $" ({string.Join(", ", list)})" : string.Empty;
            throw new ClusterCallException(
                $"The cluster could not be reached: the client's gateways{endpoints} did not answer within OrleansStrategyOptions.ConnectTimeout ({limit}), " +
                $"after {attempts} attempt(s); last error: {exception.GetType().Name}: {exception.Message} " +
                "Start the silos first, check the gateway addresses and ports the client is configured with (and any firewall between them), or raise ConnectTimeout.",
                timedOut: true,
                exception);
        }

        await Task.Delay(pause, timeProvider, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
