// after inclusion: the same bytes are AlreadyKnown, another transaction with the used nonce is NonceTooLow
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":null}
>> {"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0939f5ffbd4bf6d2eb1b326e3f53d798ea27986587ea84763113b3c140e2fc9d8a0528ee240327c4f315c266e23ea8eb34a8531df8379cbddcfae95bc317827f1f0"]}
<< {"jsonrpc":"2.0","id":2,"result":"0x147f4a95a7e50e370c39652be961c01f1ff4905e9d92726b1af16c2959d29962"}
>> {"jsonrpc":"2.0","id":3,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0939f5ffbd4bf6d2eb1b326e3f53d798ea27986587ea84763113b3c140e2fc9d8a0528ee240327c4f315c266e23ea8eb34a8531df8379cbddcfae95bc317827f1f0"]}
<< {"jsonrpc":"2.0","id":3,"error":{"code":-32003,"message":"AlreadyKnown: transaction is already included in a block","data":{"reason":"AlreadyKnown"}}}
>> {"jsonrpc":"2.0","id":4,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720881bc16d674ec8000080c001a067f112a98364e73a048f19edb338508584f38e7fc4648cb50496e40566bb09dba071c36e4a7f4e1c7a1e38a8b6c8ce1f0ad5c2b9dce777f76b850d9bfbedc3a93e"]}
<< {"jsonrpc":"2.0","id":4,"error":{"code":-32003,"message":"NonceTooLow: nonce 0, account nonce is 1","data":{"reason":"NonceTooLow"}}}
