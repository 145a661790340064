// refused with -32003 naming the reason: max fee below the next block's base fee
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f86c827a6980010182520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c080a0ff01d1e59c73a23cc730d057d61b0707e9d9fe70e5862a11b4b8cd495748c950a058c42300fec950666eaa355bbed0dc067a214f925ecc536ccd7fc4293543e3fb"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"FeeCapTooLow: max fee per gas 1 is below the base fee 875000000","data":{"reason":"FeeCapTooLow"}}}
