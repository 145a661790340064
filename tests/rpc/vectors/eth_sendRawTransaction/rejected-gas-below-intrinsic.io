// refused with -32003 naming the reason: gas below 21000
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520794a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a024982af8e2eefddb15c8328a69516b097b1d6b220649e5dc2cd4884a94c969e5a052bc3ac28509f6d3bfc7d05adad1de18318e9d767fb3eb5bceb38b118a6596b1"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"IntrinsicGasTooLow: gas limit 20999 is below the intrinsic gas 21000","data":{"reason":"IntrinsicGasTooLow"}}}
