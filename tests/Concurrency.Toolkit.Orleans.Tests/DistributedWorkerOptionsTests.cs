namespace Concurrency.Toolkit.Orleans.Tests;

public sealed class DistributedWorkerOptionsTests
{
    [Fact]
    public void Allow_FrameworkType_ThrowsArgumentExceptionSayingWhy()
    {
        var options = new DistributedWorkerOptions();

        var thrown = Assert.Throws<ArgumentException>(() => options.Allow(typeof(File)));

        Assert.Equal("type", thrown.ParamName);
        Assert.Contains("framework type", thrown.Message, StringComparison.Ordinal);
        Assert.Empty(options.AllowedTypes);
    }

    [Fact]
    public void Allow_OpenGenericType_ThrowsArgumentException()
    {
        var thrown = Assert.Throws<ArgumentException>(() => new DistributedWorkerOptions().Allow(typeof(Holder<>)));

        Assert.Contains("open generic", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allow_AppType_AllowsItAndTheTypesNestedInIt()
    {
        var options = new DistributedWorkerOptions().Allow(typeof(DistributedWorkerOptionsTests));

        Assert.True(options.IsAllowedType(typeof(DistributedWorkerOptionsTests)));
        Assert.True(options.IsAllowedType(typeof(Holder<int>)));
        Assert.False(options.IsAllowedType(typeof(ForbiddenWork)));
    }

    [Fact]
    public void IsMarked_AllowMarkedWorkOff_IgnoresTheMark()
    {
        var triple = typeof(MarkedWork).GetMethod(nameof(MarkedWork.Triple))!;
        var notMarked = typeof(MarkedWork).GetMethod(nameof(MarkedWork.NotMarked))!;

        Assert.True(new DistributedWorkerOptions().IsMarked(triple));
        Assert.False(new DistributedWorkerOptions().IsMarked(notMarked));
        Assert.False(new DistributedWorkerOptions { AllowMarkedWork = false }.IsMarked(triple));
    }

    private static class Holder<T>
    {
        public static T Echo(T value) => value;
    }
}
