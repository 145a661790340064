// refused with -32003 naming the reason: a pre-EIP-155 legacy transaction (replayable across chains)
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0xf86b80847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a7640000801ba006ae4b9da65e142081d17bd1aa0453a103b37a730e85f8bd59e030de10201333a034b0c23bfbd94db30c46a5f0854e938a25ab81495196dec387d70083dbd7d0b0"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"MissingChainId: legacy transaction without EIP-155 chain id is not accepted (replay protection)","data":{"reason":"MissingChainId"}}}
