namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>The caller's options at their limits: accepted and usable, or refused naming the option and its range.</summary>
public sealed class OrleansStrategyOptionsTests
{
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    [Theory]
    [InlineData(nameof(OrleansStrategyOptions.CallTimeout))]
    [InlineData(nameof(OrleansStrategyOptions.ConnectTimeout))]
    public void Validate_TimeoutPastWhatTimersAccept_RefusedNamingTheOptionAndRange(string option)
    {
        foreach (var value in new[] { TimeSpan.Zero, Timeout.InfiniteTimeSpan, Longest + TimeSpan.FromMilliseconds(1), TimeSpan.MaxValue })
        {
            var options = new OrleansStrategyOptions();
            typeof(OrleansStrategyOptions).GetProperty(option)!.SetValue(options, value);

            var thrown = Assert.Throws<ArgumentException>(options.Validate);

            Assert.Equal(option, thrown.ParamName);
            Assert.StartsWith($"OrleansStrategyOptions.{option} must be above zero and at most ", thrown.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_EveryOptionAtItsLongestOrLargest_Accepted()
    {
        new OrleansStrategyOptions { CallTimeout = Longest, ConnectTimeout = Longest, MaxConcurrentCalls = 1_000_000, GrainKeyCount = int.MaxValue }.Validate();
    }

    [Fact]
    public void Validate_MaxConcurrentCallsPastTheDegreeLimit_Refused()
    {
        var thrown = Assert.Throws<ArgumentException>(new OrleansStrategyOptions { MaxConcurrentCalls = 1_000_001 }.Validate);

        Assert.Equal(nameof(OrleansStrategyOptions.MaxConcurrentCalls), thrown.ParamName);
    }
}
