using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Shipping;

public class ShippedMethodCanShipTests
{
    private readonly int _offset = 3;

    [Fact]
    public void CanShip_EveryShape_AgreesWithFor()
    {
        var y = 2;
        var text = "abc";
        var multicast = new Func<int, int>(Square);
        multicast += Cube;
        Delegate[] works = [new Func<int, int>(Square), new Func<int, int>(static x => x + 1), new Func<int, int>(x => x + 1), new Func<int, int>(x => x + y), new Func<int, int>(Add), new Func<int, string>(text.Repeat), multicast];

        foreach (var work in works)
        {
            var refused = Record.Exception(() => ShippedMethod.For(work));
            var can = ShippedMethod.CanShip(work, out var reason);

            Assert.True(can == refused is null, $"{work.Method.Name}: CanShip says {can}, For {(refused is null ? "accepts it" : "refuses it")}");
            Assert.True(can == reason is null, $"{work.Method.Name}: a refusal has a reason, an acceptance none");
        }
    }

    [Fact]
    public void CanShip_Refused_SaysWhatInAClause()
    {
        var y = 2;
        var multicast = new Func<int, int>(Square);
        multicast += Cube;

        Assert.False(ShippedMethod.CanShip(new Func<int, int>(x => x + y), out var captured));
        Assert.False(ShippedMethod.CanShip(new Func<int, int>(Add), out var instance));
        Assert.False(ShippedMethod.CanShip(multicast, out var many));

        Assert.Equal("captures variables (y)", captured);
        Assert.Equal($"is an instance method of {nameof(ShippedMethodCanShipTests)}", instance);
        Assert.Equal("is a multicast delegate of 2 methods", many);
    }

    [Fact]
    public void For_MulticastDelegateWhoseLastMethodWasShippedBefore_StillRefused()
    {
        // The identity cache is keyed by the delegate's Method, which for a multicast delegate is its last one.
        ShippedMethod.For(new Func<int, int>(Cube));
        var multicast = new Func<int, int>(Square);
        multicast += Cube;

        var ex = Assert.Throws<WorkNotShippableException>(() => ShippedMethod.For(multicast));

        Assert.Contains("multicast delegate of 2 methods", ex.Message, StringComparison.Ordinal);
    }

    private static int Square(int x) => x * x;

    private static int Cube(int x) => x * x * x;

    private int Add(int x) => x + _offset;
}
