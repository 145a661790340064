// a batch of two transactions lands in one block; answers in request order
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":null}
>> [{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0939f5ffbd4bf6d2eb1b326e3f53d798ea27986587ea84763113b3c140e2fc9d8a0528ee240327c4f315c266e23ea8eb34a8531df8379cbddcfae95bc317827f1f0"]},{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a045146e5b6c5166b4528cdce5c299f19a2b436c3f33956b75b9d4b4ca604dd467a028b431a688a3d304a5b301136273519f4d9d61d847f1393d43862e83f9032714"]}]
<< [{"jsonrpc":"2.0","id":1,"result":"0x147f4a95a7e50e370c39652be961c01f1ff4905e9d92726b1af16c2959d29962"},{"jsonrpc":"2.0","id":2,"result":"0xa84cd682d66825a4ea8d43bea4a7d543f68f21364547dadb5ffe389b9a94d2d2"}]
>> {"jsonrpc":"2.0","id":2,"method":"eth_getBlockTransactionCountByNumber","params":["0x1"]}
<< {"jsonrpc":"2.0","id":2,"result":"0x2"}
