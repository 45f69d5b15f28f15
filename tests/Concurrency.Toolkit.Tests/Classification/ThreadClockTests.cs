using System.Text;
using Concurrency.Toolkit.Classification;

namespace Concurrency.Toolkit.Tests.Classification;

public class ThreadClockTests
{
    [Theory]
    [InlineData("123456 7890 42\n", 7890)]
    [InlineData("0 18446744\n", 18446744)]
    [InlineData("123456\n", 0)]
    [InlineData("123456 \n", 0)]
    public void ParseSecondField_SchedStatLine_ReturnsTheRunQueueDelay(string line, long expected)
        => Assert.Equal(expected, ThreadClock.ParseSecondField(Encoding.ASCII.GetBytes(line)));
}
