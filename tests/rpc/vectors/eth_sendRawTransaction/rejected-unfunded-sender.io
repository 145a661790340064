// refused with -32003 naming the reason: the sender cannot pay gas × max fee + value
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a00d761558e446f37c526c3d5954b1537bd069126141264f19995eea0035064764a0231d5007aee06061c5b20ca3cc1c388879ee23513692dc8423b771f86ad82526"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"InsufficientFunds: balance 0 cannot pay gas limit \u00d7 max fee + value = 1000042000000000000","data":{"reason":"InsufficientFunds"}}}
