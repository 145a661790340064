// refused with -32003 naming the reason: signed for chain 1
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f8720180843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0808bb51a21ec9d2ff24db04d98b361790ea9c48481293073892e8074387aba52a03059dd20d815774256c1aa67deb512c30cd3bfbdc77be74951354e182cc81710"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"WrongChainId: transaction is for chain 1, this is chain 31337","data":{"reason":"WrongChainId"}}}
