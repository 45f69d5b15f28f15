using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>One lost silo, one warning: the resends of its calls are told together.</summary>
public sealed class LostSiloReportTests
{
    [Fact]
    public async Task Resending_CallsFoundOneAfterAnotherThenQuiet_WritesOneWarningWithTheirTotals()
    {
        var time = new FakeTimeProvider();
        var logger = new CapturingLogger();
        var report = new LostSiloReport(logger, time, "cluster", 3);

        report.Resending(5, LossCause.Lost);
        time.Advance(TimeSpan.FromMilliseconds(600));
        report.Resending(2, LossCause.Lost);
        report.Resending(1, LossCause.TimedOut);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Empty(logger.Lines);

        // Quiet for two seconds after the last one: now it is written, once.
        time.Advance(TimeSpan.FromSeconds(0.5));
        var line = await logger.NextAsync();

        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("'cluster': a silo was lost or stopped answering; 8 item(s) of 3 call(s) were sent again", line.Text, StringComparison.Ordinal);
        Assert.Contains("2 call(s) on a silo found gone, 1 past CallTimeout", line.Text, StringComparison.Ordinal);
        Assert.Contains("LostSiloRetries = 0", line.Text, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Single(logger.Lines);
    }

    [Fact]
    public async Task Resending_LossesKeepComing_WritesAfterTenSecondsAtMost()
    {
        var time = new FakeTimeProvider();
        var logger = new CapturingLogger();
        var report = new LostSiloReport(logger, time, "cluster", 3);

        for (var i = 0; i < 10; i++)
        {
            report.Resending(1, LossCause.TimedOut);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var line = await logger.NextAsync();
        Assert.Contains("10 item(s) of 10 call(s)", line.Text, StringComparison.Ordinal);
        Assert.Contains("10 past CallTimeout", line.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flush_ResendsNotYetWritten_WritesThemAtOnceAndTheTimerWritesNothingMore()
    {
        var time = new FakeTimeProvider();
        var logger = new CapturingLogger();
        var report = new LostSiloReport(logger, time, "cluster", 3);
        report.Resending(4, LossCause.Refused);

        report.Flush();

        var line = await logger.NextAsync();
        Assert.Contains("4 item(s) of 1 call(s)", line.Text, StringComparison.Ordinal);
        Assert.Contains("1 refused by the cluster", line.Text, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromSeconds(30));
        report.Dispose();
        Assert.Single(logger.Lines);
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();
        private readonly SemaphoreSlim _written = new(0);

        public IReadOnlyCollection<(LogLevel Level, string Text)> Lines => _lines;

        public async Task<(LogLevel Level, string Text)> NextAsync()
        {
            Assert.True(await _written.WaitAsync(TimeSpan.FromSeconds(30)), "no line was written");
            return _lines.Last();
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            _lines.Enqueue((logLevel, formatter(state, exception)));
            _written.Release();
        }
    }
}
