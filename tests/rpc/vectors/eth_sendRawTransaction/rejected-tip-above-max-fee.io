// refused with -32003 naming the reason: priority fee above the max fee
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f874827a698084b2d05e00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0dbb838bd9d19461257db71843bd1086af576643dfb8f8ae730b201855159dd51a02c6a9419191b3cbac9bb6463b34e5ef25dbbc7df9cb9749393a26f11d96cd86f"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"TipAboveFeeCap: maxPriorityFeePerGas 3000000000 exceeds maxFeePerGas 2000000000","data":{"reason":"TipAboveFeeCap"}}}
